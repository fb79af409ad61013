"""The wire contract shared by terminals and central: topics and message models.

This is the only package both sides import. Changing a model here changes the
protocol: bump the schema version and update docs/protocol.md in the same change.
"""
