// GraphiQL's fetcher for Cheeseshop, made from the options GraphiQL.createFetcher takes (url, headers,
// subscriptionUrl). Queries and mutations go over HTTP with the headers set in GraphiQL's headers editor;
// subscriptions go over graphql-transport-ws (graphql-ws's client) to subscriptionUrl, with the editor's
// Authorization header in connection_init's payload, which is where the server reads the token.
(function () {
  "use strict";

  function authorizationOf(headers) {
    for (const [name, value] of Object.entries(headers || {})) {
      if (name.toLowerCase() === "authorization") {
        return String(value);
      }
    }
    return null;
  }

  // A WebSocket that fails to open reaches the sink as a bare Event, which GraphiQL would show as
  // {"isTrusted": true}: browsers tell a page no reason, so say at least what failed.
  function withReadableErrors(client, url) {
    return {
      subscribe: function (payload, sink) {
        return client.subscribe(payload, {
          next: sink.next,
          complete: sink.complete,
          error: function (error) {
            const bare = error instanceof Event && !(error instanceof CloseEvent);
            sink.error(bare ? new Error("The WebSocket to " + url + " failed (the browser gives no reason).") : error);
          },
        });
      },
    };
  }

  window.createCheeseshopFetcher = function (options) {
    // A browser sets no headers on a WebSocket upgrade, and the server reads the token once per connection, from
    // connection_init. So each distinct Authorization gets a client, and so a connection, of its own, and a
    // changed header takes effect at the next subscription. Clients are lazy: one connects for its first
    // subscription and closes after its last, so a client replaced after a change holds nothing once its
    // subscriptions end.
    let current = null;
    function webSocketClientFor(authorization) {
      if (current === null || current.authorization !== authorization) {
        current = {
          authorization: authorization,
          client: withReadableErrors(
            graphqlWs.createClient({
              url: options.subscriptionUrl,
              connectionParams: authorization === null ? {} : { Authorization: authorization },
            }),
            options.subscriptionUrl,
          ),
        };
      }
      return current.client;
    }

    return function fetcher(graphQLParams, fetcherOpts) {
      const headers = (fetcherOpts && fetcherOpts.headers) || {};
      const fetch = GraphiQL.createFetcher({
        url: options.url,
        headers: options.headers,
        wsClient: webSocketClientFor(authorizationOf(headers)),
      });
      return fetch(graphQLParams, fetcherOpts);
    };
  };
})();
