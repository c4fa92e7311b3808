//! The infill region of each layer and the class of each of its cells.

/// Classes of infill cells: sparse, internal solid, top surface, bridge.
pub(super) const CLASSES: usize = 4;
pub(super) const SPARSE: usize = 0;
pub(super) const SOLID: usize = 1;
pub(super) const TOP: usize = 2;
pub(super) const BRIDGE: usize = 3;
