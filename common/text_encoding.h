// TextEncoding: turns the bytes an operator gives (a command-line argument, a spreadsheet's CSV)
// into valid UTF-8, or says why not. Whatever leaves here can travel in a proto3 string.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ppe {

// The encodings operator input arrives in. Excel and WPS on Chinese Windows save CSV as GBK
// (code page 936) unless told "CSV UTF-8"; "Unicode text" is UTF-16 with a byte-order mark.
enum class TextEncoding { kUtf8, kUtf8WithBom, kGb18030, kUtf16Le, kUtf16Be };

const char* TextEncodingName(TextEncoding encoding);

struct DecodedText {
  std::string utf8;       // the text, valid UTF-8, without a byte-order mark
  TextEncoding encoding;  // what it was
};

// Decodes `bytes`: UTF-8 (with or without a byte-order mark) is taken as it is; UTF-16 with a
// byte-order mark and GB18030 (a superset of GBK and GB2312) are converted. Anything else is
// refused naming `what` and how to save the file as UTF-8. GBK is converted rather than refused
// because it is what a Chinese spreadsheet saves by default: refusing would fail every county's
// first import, and GB18030 decoding is exact (every GBK character has one Unicode character).
Result<DecodedText> DecodeText(std::string_view bytes, const std::string& what);

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool IsValidUtf8(std::string_view bytes);

// Characters (code points) in valid UTF-8 text: what a person counts, where size() counts bytes.
size_t Utf8Length(std::string_view utf8);

// The first `max_chars` characters of valid UTF-8 text (never cuts a character in two).
std::string TruncateUtf8(std::string_view utf8, size_t max_chars);

// One line of operator text (a donor, a reference, a reason, an id) decoded and checked: valid
// UTF-8 after decoding, no control characters (a line break, a tab or an escape code would
// forge lines in logs and tables), at most `max_chars` characters. Spaces, tabs and line ends around
// it are trimmed. The error names `what`.
Result<std::string> CleanLine(std::string_view bytes, const std::string& what, size_t max_chars);

// A figure, date or time as a Chinese input method may type it, in ASCII: the full-width forms
// U+FF01..U+FF5E (１２０, ５，０００, ２０２０－０２－１０ １４：００) as their ASCII characters and the
// ideographic space U+3000 as a space; everything else unchanged. Never for names: only for text
// that is read as a number, a date or a time.
std::string HalfWidth(std::string_view utf8);

// `text` with every control character shown as \n, \t, \x1b ..., for logs and terminals.
std::string EscapeControl(std::string_view text);

// True when `text` is valid UTF-8 holding a control character (C0, DEL, C1, U+2028, U+2029): what
// CleanLine refuses and EscapeControl escapes. (Invalid UTF-8 is IsValidUtf8's to say: false here.)
bool HasControlCharacter(std::string_view text);

}  // namespace ppe
