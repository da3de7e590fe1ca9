"""The app's code: ``state`` (the design and its link, pure), ``tables``, ``charts`` and
``zoom`` (pure views), and ``studio`` (the Streamlit glue)."""
