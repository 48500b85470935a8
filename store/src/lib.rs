//! The seq2exp HDF5 window store.
