"""napari plugin for glassfail: a thin skin over glassfail_core."""
