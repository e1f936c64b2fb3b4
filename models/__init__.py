"""SQLAlchemy models, the engine and the per-request database handle."""

from models.attempt import AuthAttempt
from models.base import Base
from models.classifier import Classifier, package_classifiers
from models.counter import Counter, CounterName
from models.document import PersistedDocument
from models.package import Maintainer, Package, Role
from models.release import Release
from models.search import outside_the_models
from models.user import User

__all__ = [
    "AuthAttempt",
    "Base",
    "Classifier",
    "Counter",
    "CounterName",
    "Maintainer",
    "Package",
    "PersistedDocument",
    "Release",
    "Role",
    "User",
    "outside_the_models",
    "package_classifiers",
]
