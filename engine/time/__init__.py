"""Working time: the production calendar, deadlines, timers and the scheduler that wakes them."""
