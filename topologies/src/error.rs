//! The error type of the crate: every invalid description, bad node id or impossible request ends
//! here, with enough detail to say what was wrong and what would be valid.

use std::path::PathBuf;

/// Everything that can go wrong when describing, building or querying a topology.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// A chip count or a dimension was zero.
    #[error("{kind}: {what} must be at least 1, got 0")]
    Zero {
        /// The topology kind (`"torus3d"`, ...).
        kind: &'static str,
        /// Which field was zero (`"chips"`, `"dims[1]"`, ...).
        what: String,
    },
    /// A field is smaller than the kind allows (a ring of 2 chips, a torus side of 2, ...).
    #[error("{kind}: {what} must be at least {min}, got {got} ({hint})")]
    TooSmall {
        /// The topology kind.
        kind: &'static str,
        /// Which field.
        what: String,
        /// The smallest valid value.
        min: u64,
        /// The value given.
        got: u64,
        /// What to use instead.
        hint: &'static str,
    },
    /// A hypercube was asked for with a chip count that is not a power of two.
    #[error("hypercube: chips must be a power of two (2^d), got {chips}; nearest valid: {below} or {above}")]
    HypercubeNotPowerOfTwo {
        /// The chip count given.
        chips: u64,
        /// The nearest power of two below.
        below: u64,
        /// The nearest power of two above.
        above: u64,
    },
    /// A hypercube description gave both or neither of `chips` and `dimension`.
    #[error("hypercube: give exactly one of `chips` (a power of two) or `dimension`")]
    HypercubeSize,
    /// The topology would have more chips or links than a `u32` id can name.
    #[error("{kind}: {what} = {count} exceeds the u32 id space ({max})")]
    TooLarge {
        /// The topology kind.
        kind: &'static str,
        /// `"chips"` or `"links"`.
        what: &'static str,
        /// The count that does not fit.
        count: u128,
        /// The largest supported count.
        max: u64,
    },
    /// A hierarchical gateway index is not a node of the group topology.
    #[error(
        "hierarchical: gateway {gateway} is not a node of the group topology (0..{group_chips})"
    )]
    GatewayOutOfRange {
        /// The gateway given.
        gateway: u32,
        /// Chips per group.
        group_chips: u32,
    },
    /// A custom description gave both or neither of `edges` and `file`.
    #[error("custom: give exactly one of `edges` (inline list) or `file` (edge-list file)")]
    CustomEdgeSource,
    /// The custom edge-list file could not be read.
    #[error("custom: cannot read edge-list file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line of a custom edge-list file is not two node ids.
    #[error("custom: {origin}:{line}: expected two node ids like `3 7`, got `{text}`")]
    EdgeSyntax {
        /// The file (or `inline`).
        origin: String,
        /// 1-based line number.
        line: usize,
        /// The offending text.
        text: String,
    },
    /// A custom edge names a node that does not exist.
    #[error("custom: {origin}: edge {index} ({a}, {b}) names node {node}, but there are only {chips} chips (ids 0..{chips})")]
    UnknownNode {
        /// The file (or `inline`).
        origin: String,
        /// Edge number (1-based line in a file, 0-based index inline).
        index: usize,
        /// First end.
        a: u32,
        /// Second end.
        b: u32,
        /// The unknown node.
        node: u32,
        /// Chips declared.
        chips: u32,
    },
    /// A custom edge joins a node to itself.
    #[error("custom: {origin}: edge {index} is a self-loop on node {node}")]
    SelfLoop {
        /// The file (or `inline`).
        origin: String,
        /// Edge number (1-based line in a file, 0-based index inline).
        index: usize,
        /// The node.
        node: u32,
    },
    /// A custom edge appears twice.
    #[error("custom: {origin}: edge {index} ({a}, {b}) duplicates an earlier edge")]
    DuplicateEdge {
        /// The file (or `inline`).
        origin: String,
        /// Edge number (1-based line in a file, 0-based index inline).
        index: usize,
        /// First end.
        a: u32,
        /// Second end.
        b: u32,
    },
    /// A custom topology is not connected, so some pairs have no route.
    #[error("custom: the wiring is not connected: node {unreachable} cannot reach node 0 ({components} components)")]
    Disconnected {
        /// The lowest node that node 0 cannot reach.
        unreachable: u32,
        /// How many connected components there are.
        components: usize,
    },
    /// A node id is not in `0..chips`.
    #[error("node {node} does not exist (chips are 0..{chips})")]
    NodeOutOfRange {
        /// The node given.
        node: u32,
        /// The chip count.
        chips: u32,
    },
    /// A link id is not in `0..link_count`.
    #[error("link {link} does not exist (links are 0..{links})")]
    LinkOutOfRange {
        /// The link given.
        link: u32,
        /// The link count.
        links: u32,
    },
    /// Two nodes are not joined by a link.
    #[error("nodes {a} and {b} are not neighbours")]
    NotAdjacent {
        /// First node.
        a: u32,
        /// Second node.
        b: u32,
    },
    /// The topology is too large to materialise as a graph (DOT export, exact graph metrics).
    #[error("{what}: {chips} chips is above the limit of {limit}")]
    TooLargeForGraph {
        /// What was asked (`"DOT export"`, ...).
        what: &'static str,
        /// The chip count.
        chips: u32,
        /// The limit.
        limit: u32,
    },
    /// The wiring needs more ports per chip than the link kind offers.
    #[error("the wiring needs {needed} ports on some chip, but the link kind offers {available}")]
    TooManyPorts {
        /// Ports needed on the busiest chip.
        needed: u32,
        /// Ports available.
        available: u32,
    },
    /// The wiring uses a shared medium but the link kind does not allow one.
    #[error("the wiring uses a shared medium (bus), which the link kind does not allow")]
    SharedMediumNotAllowed,
    /// `recommend` found no topology that can be built under the constraints.
    #[error("no topology can be built for {chips} chips with these constraints: {reasons}")]
    NothingBuildable {
        /// The chip count asked for.
        chips: u32,
        /// Why each family was rejected, joined.
        reasons: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, TopologyError>;
