"""The demo region shipped as data, and the demo visits the main job settles."""
