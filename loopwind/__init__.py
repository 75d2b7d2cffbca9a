"""loopwind: render image and video templates locally or through loopwind.dev.

``from loopwind import Loopwind`` (or ``AsyncLoopwind``) loads the SDK on first use, so
``import loopwind.engine`` stays light.
"""

__all__ = ["AsyncLoopwind", "Loopwind", "LoopwindError"]


def __getattr__(name: str):
    if name in __all__:
        from . import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'loopwind' has no attribute {name!r}")
