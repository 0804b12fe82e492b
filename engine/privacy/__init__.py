"""Personal data under 152-FZ: the consent register, retention, erasure on request, the record of exports."""
