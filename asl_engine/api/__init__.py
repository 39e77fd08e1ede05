"""The HTTP side: AWS's JSON 1.0 protocol on `POST /` and a small REST API, both over `Service`."""
