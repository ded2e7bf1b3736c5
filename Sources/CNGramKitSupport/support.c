// All helpers are static inline in the header; this file gives SwiftPM a C source to build.
#include "CNGramKitSupport.h"
