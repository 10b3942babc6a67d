"""One module per rule, named <code>_<slug>.py; registry.RULES lists their classes."""
