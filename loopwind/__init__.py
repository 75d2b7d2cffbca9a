"""loopwind: render image and video templates locally or through loopwind.dev."""
