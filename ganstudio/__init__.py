"""GAN Studio: train a GAN on your own images, watch it learn, explore what it learned."""

__version__ = "0.2.0"
