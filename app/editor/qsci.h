#pragma once

// QScintilla's headers use Qt's `signals` and `slots` keywords, which this project turns off
// (QT_NO_KEYWORDS). They are defined for these includes only; include QScintilla through here.
#define signals Q_SIGNALS
#define slots Q_SLOTS
#include <Qsci/qscilexercss.h>
#include <Qsci/qscilexerhtml.h>
#include <Qsci/qscilexerjavascript.h>
#include <Qsci/qscilexerjson.h>
#include <Qsci/qscilexermarkdown.h>
#include <Qsci/qscilexerproperties.h>
#include <Qsci/qscilexerpython.h>
#include <Qsci/qscilexersql.h>
#include <Qsci/qscilexerxml.h>
#include <Qsci/qscilexeryaml.h>
#include <Qsci/qsciscintilla.h>
#undef signals
#undef slots
