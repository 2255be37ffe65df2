//! The blob tool's methods (microcore add blob), through the SDK's wrappers.

use microcore::pb::*;
use microcore::{blob, codes, Error};
use prost::Message;

fn decode<M: Message + Default>(raw: &[u8]) -> Result<M, Error> {
    M::decode(raw).map_err(|e| Error::new(codes::INVALID_ARGUMENT, format!("conformance probe: bad request message: {e}")))
}

/// Answers blob.* (None for another tool's method).
pub fn call(tool: &str, method: &str, raw: &[u8]) -> Option<Result<Vec<u8>, Error>> {
    if tool != "blob" {
        return None;
    }
    let answer = || -> Result<Vec<u8>, Error> {
        Ok(match method {
            "Put" => {
                let r: BlobPutRequest = decode(raw)?;
                blob::put(&r.key, &r.data, &r.content_type)?.encode_to_vec()
            }
            "Get" => {
                let r: BlobGetRequest = decode(raw)?;
                if r.offset == 0 && r.length == 0 {
                    blob::get(&r.key)?.encode_to_vec()
                } else {
                    blob::get_range(&r.key, r.offset, r.length)?.encode_to_vec()
                }
            }
            "List" => {
                let r: BlobListRequest = decode(raw)?;
                blob::list(&r.prefix, &r.after, r.limit)?.encode_to_vec()
            }
            // Not a contract method: the SDK's reader (blob::open) over a whole blob, answered as
            // the size it read and the SHA-256 the reader checked at its end
            // (tools/blob/reader-hostings.test.ts).
            "Open" => {
                let r: BlobGetRequest = decode(raw)?;
                let mut reader = blob::open(&r.key)?;
                let size = std::io::copy(&mut reader, &mut std::io::sink()).map_err(blob::into_error)?;
                BlobPutResponse { size: size as i64, sha256: reader.sha256().to_string() }.encode_to_vec()
            }
            "Delete" => {
                let r: BlobDeleteRequest = decode(raw)?;
                blob::delete(&r.key)?.encode_to_vec()
            }
            _ => return Err(Error::new(codes::INVALID_ARGUMENT, format!("conformance probe (rust): no such tool method blob.{method}"))),
        })
    };
    Some(answer())
}
