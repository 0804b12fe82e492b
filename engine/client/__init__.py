"""The client's side of a complaint: replies threaded in, our answers, the status page and the client's verdict."""
