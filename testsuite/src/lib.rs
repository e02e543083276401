//! sowa's test suite: the project's test programs (`programs/`), end-to-end tests of the
//! embedding API (`tests/`), and the runners that drive sowa through the same path users take.
