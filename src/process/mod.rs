//! Process models: what it takes to make a part by each route.

pub mod fff;
pub mod powder;
