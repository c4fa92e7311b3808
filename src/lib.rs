//! hybridplan: a planner for hybrid print-plus-overmold production.
//!
//! One part flows one way: STL file -> checked [`mesh::Mesh`] -> split -> interface lattice ->
//! process estimates -> plan -> reports. Lower modules never import higher ones:
//! `mesh`, `fsutil` and `limits` (the range of every numeric input) import nothing of the
//! project; `samples` and `split` build on `mesh`; `plan` composes them; `report` and `cli`
//! sit on top.

pub mod batch;
pub mod cli;
pub mod dfm;
pub mod family;
pub mod fsutil;
pub mod interface;
pub mod limits;
pub mod mesh;
pub mod models;
pub mod plan;
pub mod process;
pub mod report;
pub mod samples;
pub mod split;
