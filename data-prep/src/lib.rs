//! data-prep library.
