//! The porous interface between the printed baseplate and the molded ribs: pore layouts in
//! the footprint (and, as this stage grows, pores and pins in 3D, printability, fill and bond
//! estimates). Imports only `mesh` and `models`, like `split` and `process`.

pub mod layout;
pub mod pores;

pub use layout::{Layout, LayoutParams, Pattern, Pore, lay_out};
pub use pores::{PlaneFrame, PoreError, add_pores_and_pins};
