"""The shared kernel: money, state machines, transitions, errors, uploads and filters; imports no app, has no models."""
