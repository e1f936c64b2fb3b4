"""Live events: releases announced as they are published, to this process's subscribers and to every other's."""
