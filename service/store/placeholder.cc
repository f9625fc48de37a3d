// Store implementation lands here.
