#pragma once

#include "project/configerror.h"
#include "protocol/events.h"

#include <QString>

namespace kiln::protocol {

// Reads a Python traceback as Python prints it (`File "…", line N, in f` frames, then
// `Type: message`; a SyntaxError's frame has no function and a caret line) or a JS stack
// (`    at f (file:line:col)`). Frames under `projectDir` are marked inProject. Text that is
// neither gives an event with only `text` and the last line as the message.
ExceptionEvent parseTraceback(const QString& text, const QString& projectDir);

// Where to point a person: the innermost frame in the project (else the innermost frame),
// with the exception's "Type: message" as the message; line 0 when there is no frame.
ConfigError tracebackLocation(const ExceptionEvent& exception);

} // namespace kiln::protocol
