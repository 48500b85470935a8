//! Assembles per-gene windows from the readers into the window store.
