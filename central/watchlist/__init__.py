"""The wanted-persons list on central: entries and templates, the police editor, signed updates to terminals."""
