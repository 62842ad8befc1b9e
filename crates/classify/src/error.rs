//! The crate's one error type: what can go wrong parsing operator data (IP ranges, device models) or names.

/// Errors from parsing IP-range text, device-model tables or device-class names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClassifyError {
    /// A line of IP-range text is malformed; `line` is 1-based, `reason` says what is wrong.
    IpRangeLine {
        /// 1-based line number in the input text.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },
    /// A line of a device-model table is malformed; `line` is 1-based, `reason` says what is wrong.
    DeviceModelLine {
        /// 1-based line number in the input text.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },
    /// A device-class name that is not one of [`crate::DeviceClass`]'s names.
    UnknownDeviceClass(String),
}

impl std::fmt::Display for ClassifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClassifyError::IpRangeLine { line, reason } => {
                write!(f, "IP ranges, line {line}: {reason}")
            }
            ClassifyError::DeviceModelLine { line, reason } => {
                write!(f, "device models, line {line}: {reason}")
            }
            ClassifyError::UnknownDeviceClass(name) => {
                write!(f, "unknown device class {name:?}")
            }
        }
    }
}

impl std::error::Error for ClassifyError {}
