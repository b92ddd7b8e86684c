"""The ``api`` Lambda: the REST API of section 4 of the design, one Router per resource."""
