//! Access modes after the k8srm prototype's `accessMode` capacity: how a claim may share a
//! device with other claims.

/// How a claim uses a device (k8srm `DeviceAccessMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccessMode {
    /// Reads only; shares with every mode except ReadWriteExclusive.
    ReadOnlyShared = 0,
    /// Reads and writes; shares with ReadOnlyShared and ReadWriteShared claims.
    ReadWriteShared = 1,
    /// The only writer; shares with ReadOnlyShared claims.
    WriteExclusive = 2,
    /// ReadWriteOnce-like: no other claim may use the device.
    ReadWriteExclusive = 3,
}

impl AccessMode {
    /// Every mode, least strict first.
    pub const ALL: [AccessMode; 4] = [
        AccessMode::ReadOnlyShared,
        AccessMode::ReadWriteShared,
        AccessMode::WriteExclusive,
        AccessMode::ReadWriteExclusive,
    ];

    /// The mode's API name.
    pub fn name(self) -> &'static str {
        match self {
            AccessMode::ReadOnlyShared => "ReadOnlyShared",
            AccessMode::ReadWriteShared => "ReadWriteShared",
            AccessMode::WriteExclusive => "WriteExclusive",
            AccessMode::ReadWriteExclusive => "ReadWriteExclusive",
        }
    }

    /// Whether a claim in this mode may use a device that a claim in `other` holds.
    pub fn compatible_with(self, other: AccessMode) -> bool {
        use AccessMode::*;
        match self {
            ReadOnlyShared => other != ReadWriteExclusive,
            ReadWriteShared => matches!(other, ReadOnlyShared | ReadWriteShared),
            WriteExclusive => other == ReadOnlyShared,
            ReadWriteExclusive => false,
        }
    }
}

/// Which modes a device allows; a request for a disallowed mode is served in the next
/// stricter allowed one (ReadWriteExclusive is always allowed), as in k8srm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessPolicy {
    /// `allowReadOnlyShared`.
    pub allow_read_only_shared: bool,
    /// `allowReadWriteShared`.
    pub allow_read_write_shared: bool,
    /// `allowWriteExclusive`.
    pub allow_write_exclusive: bool,
}

impl AccessPolicy {
    /// Every mode allowed.
    pub const SHARED: AccessPolicy = AccessPolicy {
        allow_read_only_shared: true,
        allow_read_write_shared: true,
        allow_write_exclusive: true,
    };

    /// Only ReadWriteExclusive: every claim gets the device to itself.
    pub const EXCLUSIVE: AccessPolicy = AccessPolicy {
        allow_read_only_shared: false,
        allow_read_write_shared: false,
        allow_write_exclusive: false,
    };

    /// The mode a request for `requested` is served in.
    pub fn effective(self, requested: AccessMode) -> AccessMode {
        let mut mode = requested;
        if mode == AccessMode::ReadOnlyShared && !self.allow_read_only_shared {
            mode = AccessMode::ReadWriteShared;
        }
        if mode == AccessMode::ReadWriteShared && !self.allow_read_write_shared {
            mode = AccessMode::WriteExclusive;
        }
        if mode == AccessMode::WriteExclusive && !self.allow_write_exclusive {
            mode = AccessMode::ReadWriteExclusive;
        }
        mode
    }
}

impl Default for AccessPolicy {
    fn default() -> Self {
        AccessPolicy::SHARED
    }
}
