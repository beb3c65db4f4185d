"""rw.Client: core's Client plus the exploring methods (model, deployment, search, collection, collections).

It lives here because core sits below explore and cannot know the handles. It registers itself with core,
so every client the package makes (the default one, a widget's own) is one of these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import client as _core
from .handle import Deployment, Model, deployment, model
from .search import CollectionList, ModelList, collection, collections, search

if TYPE_CHECKING:
    from typing import Unpack

    from ..core.options import RunOptions


class Client(_core.Client):
    """Talks to Replicate (or the local server): runs models, and finds them."""

    def model(self, ref: str, *, lazy: bool = False, **options: Unpack[RunOptions]) -> Model:
        """A handle on ``ref`` bound to this client; see rw.model."""
        return model(ref, client=self, lazy=lazy, **options)

    def deployment(self, name: str, *, lazy: bool = False, **options: Unpack[RunOptions]) -> Deployment:
        """A handle on the deployment 'owner/name' bound to this client; see rw.deployment."""
        return deployment(name, client=self, lazy=lazy, **options)

    def search(self, query: str, limit: int = 20) -> ModelList:
        return search(query, limit, client=self)

    def collection(self, slug: str) -> ModelList:
        return collection(slug, client=self)

    def collections(self) -> CollectionList:
        return collections(client=self)


_core.register_public_class(Client)  # the default client and the widgets' own are all rw.Client
