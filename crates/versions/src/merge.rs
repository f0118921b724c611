//! Merge functions: what an application decides for a conflicting object, and the default rule.

use std::sync::Arc;

use crate::object::Object;

/// What the application's merge function decides for one conflicting object.
#[derive(Debug, Clone, PartialEq)]
pub enum MergeOutcome {
    /// The object exists after the merge, with this value (its key must be the conflict's key).
    Keep(Object),
    /// The object does not exist after the merge.
    Delete,
}

/// An application merge function: `(type name, original, yours, theirs) -> outcome`, where each
/// object is the state of the conflicting object at the common ancestor, on your side and on
/// theirs (`None`: absent there). It is only called for conflicts (the same dimension changed on
/// both sides — even to the same value, as two increments of a counter are —, or modified on
/// one side and deleted on the other, or created differently on both); everything else merges
/// by itself.
///
/// In a [`crate::Store`] push, *yours* is the pushed version and *theirs* the store's head; in a
/// [`crate::Dataframe`] fetch, *yours* is the local head and *theirs* the store's head. So
/// *theirs* is always the shared side.
pub type MergeFnDyn =
    dyn Fn(&str, Option<&Object>, Option<&Object>, Option<&Object>) -> MergeOutcome + Send + Sync;

/// A shareable merge function.
pub type MergeFn = Arc<MergeFnDyn>;

/// Wraps a closure as a [`MergeFn`].
pub fn merge_fn<F>(f: F) -> MergeFn
where
    F: Fn(&str, Option<&Object>, Option<&Object>, Option<&Object>) -> MergeOutcome
        + Send
        + Sync
        + 'static,
{
    Arc::new(f)
}

/// The default merge rule, *theirs wins, per dimension*: if theirs deleted the object it is
/// deleted; if only yours deleted it, theirs is kept; otherwise the result is theirs, plus every
/// dimension that only your side changed (relative to the original).
pub fn theirs_wins(
    _type_name: &str,
    original: Option<&Object>,
    yours: Option<&Object>,
    theirs: Option<&Object>,
) -> MergeOutcome {
    match (yours, theirs) {
        (_, None) => MergeOutcome::Delete,
        (None, Some(t)) => MergeOutcome::Keep(t.clone()),
        (Some(y), Some(t)) => {
            let mut out = t.clone();
            if let Some(o) = original {
                for (d, v) in y.dims.iter() {
                    let before = o.dims.get(d);
                    if before != Some(v) && t.dims.get(d) == before {
                        out.dims_mut().insert(d.clone(), v.clone());
                    }
                }
            }
            MergeOutcome::Keep(out)
        }
    }
}
