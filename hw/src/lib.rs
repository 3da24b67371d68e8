//! ruvsim-hw: the hardware model of ESP32-class chips and the links between them.
//!
//! | module | what |
//! |---|---|
//! | [`backbone`] | the networks that join a large cluster's groups to their hosts: Ethernet (EMAC, W5500) through switches, Wi-Fi through access points, ESP-NOW; 802.11 airtime |
//! | [`cache`] | the data cache in front of PSRAM and flash: size, line and ways per variant, one line fill |
//! | [`calibration`] | per-variant tables (TOML beside the code), every number with its source; the one [`calibration::Variant`] |
//! | [`chip`] | operation counts -> cycles -> time of one step, per CPU setup and kernel kind |
//! | [`memory`] | where a chip's bytes live (SRAM, PSRAM, flash, SD card), budgets, and the time to stream them |
//! | [`link`] | SPI, UART and ESP-NOW: the time a message takes, retries and loss |
//! | [`firmware`] | what a firmware does per token, as a profile: the llama2.c-style f32 loop priced phase by phase from primitive costs |
//! | [`energy`] | time in each power state, integrated into joules; battery life |
//! | [`phases`] | where a task's or a token's time went: matmul, attention, norm, activations, memory, sync, overheads |
//! | [`tier`] | measured, simulated or projected: where a figure comes from |
//!
//! Every model here is a pure function of its settings and the calibration: the cluster
//! simulation (`ruvsim-sim`) asks it how long something takes and what it costs.
#![warn(missing_docs)]

pub mod backbone;
pub mod cache;
pub mod calibration;
pub mod chip;
pub mod energy;
pub mod firmware;
pub mod link;
pub mod memory;
pub mod phases;
pub mod tier;
