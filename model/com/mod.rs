//! What is modeled: the COM actors (clients, the SCM, EXE server processes with their
//! apartments and COM runtime, the frameworks' lifetime code, the in-process client process
//! and its DLL, the service host), their messages and HRESULTs, the scenarios, toggles and
//! layouts that configure them, the rules they implement, COM's names and phrases, and the
//! system assembled from them.

pub mod actor;
pub mod client;
pub mod code_fix;
pub mod config;
pub mod framework;
pub mod hresult;
pub mod inproc;
pub mod memo;
pub mod msg;
pub mod names;
pub mod rules;
pub mod runtime;
pub mod scenario;
pub mod scm;
pub mod server;
pub mod service;
pub mod state;
pub mod system;
pub mod toggle_set;
pub mod toggles;
pub mod transit;
