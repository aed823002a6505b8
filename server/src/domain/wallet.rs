//! Ethereum addresses: `0x` and 40 hex digits, with the EIP-55 mixed-case checksum enforced
//! when the address mixes cases, and stored in checksummed form.

use sha3::{Digest, Keccak256};

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletError {
    /// Not `0x` + 40 hex digits.
    Malformed,
    /// Mixed case with a wrong EIP-55 checksum.
    BadChecksum,
}

impl std::fmt::Display for WalletError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Malformed => "must be 0x followed by 40 hexadecimal digits",
            Self::BadChecksum => "has a wrong EIP-55 checksum (mixed-case addresses must be checksummed)",
        })
    }
}

/// The EIP-55 form of `address` (which must be well-formed).
pub fn checksummed(address: &str) -> String {
    let lower = address[2..].to_ascii_lowercase();
    let hash = Keccak256::digest(lower.as_bytes());
    let mut out = String::from("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
        out.push(if c.is_ascii_alphabetic() && nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

/// Validates `address` and returns its EIP-55 form.
pub fn parse(address: &str) -> Result<String, WalletError> {
    let hex = address.strip_prefix("0x").ok_or(WalletError::Malformed)?;
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(WalletError::Malformed);
    }
    let checksum = checksummed(address);
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    if has_upper && has_lower && checksum != address {
        return Err(WalletError::BadChecksum);
    }
    Ok(checksum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eip55_vectors_and_the_seed_address() {
        for good in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
        ] {
            assert_eq!(parse(good).as_deref(), Ok(good));
        }
        // One letter's case flipped: refused.
        assert_eq!(
            parse("0x742d35cc6634C0532925a3b844Bc454e4438f44e"),
            Err(WalletError::BadChecksum)
        );
        // Single-case input is accepted and stored checksummed.
        assert_eq!(
            parse("0x742d35cc6634c0532925a3b844bc454e4438f44e").unwrap(),
            "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"
        );
        assert_eq!(parse("0x123"), Err(WalletError::Malformed));
        assert_eq!(
            parse("742d35cc6634c0532925a3b844bc454e4438f44e"),
            Err(WalletError::Malformed)
        );
    }
}
