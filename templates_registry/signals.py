"""What the registry tells the apps above it, without importing them."""

from django.dispatch import Signal

# A version was published (sent after the publish committed): ``version``. Rendering renders a video
# version's MP4 preview in the worker when it hears it.
version_published = Signal()
