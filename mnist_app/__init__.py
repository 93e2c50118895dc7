"""The engine of the handwritten-digit app: MNIST data, models, training, evaluation, prediction.

Nothing in this package imports streamlit; the pages in ``pages/`` (through ``ui/``) call into it.
"""
