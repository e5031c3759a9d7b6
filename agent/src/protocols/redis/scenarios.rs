//! Whole-connection behaviour.
