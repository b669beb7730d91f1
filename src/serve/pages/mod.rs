//! HTML pages rendered on the server with maud (every value escaped): the shared frame, and one
//! file per kind of page. Pages take typed results from the query stages; they never query.

pub(crate) mod file;
pub(crate) mod history;
pub(crate) mod layout;
pub(crate) mod rules;
pub(crate) mod search;
