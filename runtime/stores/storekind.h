#pragma once

namespace kiln {

// The kinds of binding state Kiln keeps (ARCHITECTURE §5). Declared here, in the stores
// layer, so StateLayout and the inspectors need no protocol header; the control protocol's
// StoreKind is meant to become an alias of this one, so the two can never disagree.
enum class StoreKind { Kv, D1, R2, Workflow };

} // namespace kiln
