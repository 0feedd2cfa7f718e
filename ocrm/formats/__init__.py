"""The project's corrections to Django's locale formats (settings.FORMAT_MODULE_PATH): only the
settings named here differ; everything else comes from Django's own locale modules."""
