//! Process models: how long a part takes and what it costs by each route (additive, molding,
//! hybrid), from the geometry the split measured and the data in `models/`. Imports `mesh`
//! and `models` only.

pub mod compare;
pub mod molding;
