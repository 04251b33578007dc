#include "bindings/d1binding.h"
#include "bindings/hostbinding.h"
#include "bindings/kvbinding.h"
#include "bindings/r2binding.h"
#include "bindings/workflowbinding.h"

namespace kiln {

std::vector<std::unique_ptr<HostBinding>> makeHostBindings(const BindingContext& context) {
    std::vector<std::unique_ptr<HostBinding>> bindings;
    bindings.push_back(std::make_unique<KvBinding>(context));
    bindings.push_back(std::make_unique<D1Binding>(context));
    bindings.push_back(std::make_unique<R2Binding>(context));
    bindings.push_back(std::make_unique<WorkflowBinding>(context));
    return bindings;
}

} // namespace kiln
