#include "common/text_encoding.h"

#include <iconv.h>

#include <cerrno>
#include <cstdio>
#include <cstdint>

namespace ppe {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kUtf16LeBom = "\xFF\xFE";
constexpr std::string_view kUtf16BeBom = "\xFE\xFF";

// Converts with glibc's iconv; fails on any byte sequence that is not valid in `from`.
Result<std::string> Convert(std::string_view bytes, const char* from) {
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(-1)) return Status::Error(std::string("no converter for ") + from);
  std::string out;
  out.resize(bytes.size() * 2 + 16);
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  size_t done = 0;
  for (;;) {
    char* out_ptr = out.data() + done;
    size_t out_left = out.size() - done;
    const size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    done = out.size() - out_left;
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    iconv_close(cd);
    return Status::Error("byte " + std::to_string(bytes.size() - in_left + 1) + " is not valid " + from);
  }
  iconv_close(cd);
  out.resize(done);
  return out;
}

// The code point starting at utf8[i] (valid UTF-8), advancing i past it.
uint32_t NextCodePoint(std::string_view utf8, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(utf8[k]); };
  const unsigned char lead = byte(i);
  int extra = lead < 0x80 ? 0 : lead < 0xE0 ? 1 : lead < 0xF0 ? 2 : 3;
  uint32_t cp = extra == 0 ? lead : extra == 1 ? lead & 0x1F : extra == 2 ? lead & 0x0F : lead & 0x07;
  ++i;
  for (; extra > 0 && i < utf8.size(); --extra) cp = (cp << 6) | (byte(i++) & 0x3F);
  return cp;
}

bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029; }

}  // namespace

const char* TextEncodingName(TextEncoding encoding) {
  switch (encoding) {
    case TextEncoding::kUtf8: return "UTF-8";
    case TextEncoding::kUtf8WithBom: return "UTF-8 with a byte-order mark";
    case TextEncoding::kGb18030: return "GBK/GB18030";
    case TextEncoding::kUtf16Le: return "UTF-16LE";
    case TextEncoding::kUtf16Be: return "UTF-16BE";
  }
  return "unknown";
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

size_t Utf8Length(std::string_view utf8) {
  size_t n = 0;
  for (const char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string TruncateUtf8(std::string_view utf8, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    if ((static_cast<unsigned char>(utf8[i]) & 0xC0) != 0x80 && chars++ == max_chars) {
      return std::string(utf8.substr(0, i));
    }
  }
  return std::string(utf8);
}

Result<DecodedText> DecodeText(std::string_view bytes, const std::string& what) {
  const auto starts = [&](std::string_view prefix) { return bytes.substr(0, prefix.size()) == prefix; };
  if (starts(kUtf8Bom)) {
    bytes.remove_prefix(kUtf8Bom.size());
    if (IsValidUtf8(bytes)) return DecodedText{std::string(bytes), TextEncoding::kUtf8WithBom};
  } else if (starts(kUtf16LeBom) || starts(kUtf16BeBom)) {
    const bool le = starts(kUtf16LeBom);
    auto converted = Convert(bytes.substr(2), le ? "UTF-16LE" : "UTF-16BE");
    if (converted.ok()) return DecodedText{std::move(*converted), le ? TextEncoding::kUtf16Le : TextEncoding::kUtf16Be};
    return Status::Error(what + " is UTF-16 (\"Unicode text\") but damaged: " + converted.status().message() +
                         "; save it again as \"CSV UTF-8\"");
  } else if (bytes.find('\0') != std::string_view::npos) {
    // No text an operator means holds a NUL byte; UTF-16 holds one in every ASCII character.
    return Status::Error(what + " looks like UTF-16 without a byte-order mark, or is not text at all; "
                         "save it as \"CSV UTF-8\" (in Excel or WPS: Save As, CSV UTF-8 / 逗号分隔)");
  } else if (IsValidUtf8(bytes)) {
    return DecodedText{std::string(bytes), TextEncoding::kUtf8};
  }
  auto converted = Convert(bytes, "GB18030");
  if (converted.ok()) return DecodedText{std::move(*converted), TextEncoding::kGb18030};
  return Status::Error(what + " is neither UTF-8 nor GBK/GB18030 (" + converted.status().message() +
                       "); save it as \"CSV UTF-8\" (in Excel or WPS: Save As, CSV UTF-8 / 逗号分隔)");
}

Result<std::string> CleanLine(std::string_view bytes, const std::string& what, size_t max_chars) {
  auto decoded = DecodeText(bytes, what);
  if (!decoded.ok()) return decoded.status();
  // Spreadsheet cells and shells leave spaces, tabs and line ends around a value: not part of it.
  const std::string& raw = decoded->utf8;
  const size_t b = raw.find_first_not_of(" \t\r\n");
  const std::string text = b == std::string::npos ? "" : raw.substr(b, raw.find_last_not_of(" \t\r\n") - b + 1);
  for (size_t i = 0; i < text.size();) {
    const uint32_t cp = NextCodePoint(text, i);
    if (IsControl(cp)) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", cp);
      return Status::Error(what + " holds a control character (" + std::string(code) +
                           (cp == '\n' || cp == '\r' ? ", a line break" : cp == '\t' ? ", a tab" : "") +
                           "); write it on one line, without tabs");
    }
  }
  const size_t chars = Utf8Length(text);
  if (chars > max_chars) {
    return Status::Error(what + " is " + std::to_string(chars) + " characters long; at most " +
                         std::to_string(max_chars) + ": shorten it");
  }
  return text;
}

bool HasControlCharacter(std::string_view text) {
  if (!IsValidUtf8(text)) return false;
  for (size_t i = 0; i < text.size();) {
    if (IsControl(NextCodePoint(text, i))) return true;
  }
  return false;
}

std::string HalfWidth(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(utf8[i + k]); };
    if (i + 2 < utf8.size() && byte(0) == 0xEF && (byte(1) == 0xBC || byte(1) == 0xBD) && (byte(2) & 0xC0) == 0x80) {
      // U+FF00..U+FF7F: EF BC 80..BF, EF BD 80..BF; U+FF01..U+FF5E are U+0021..U+007E.
      const uint32_t cp = 0xFF00 + ((byte(1) - 0xBC) << 6) + (byte(2) & 0x3F);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        out += static_cast<char>(cp - 0xFF01 + 0x21);
        i += 3;
        continue;
      }
    }
    if (i + 2 < utf8.size() && byte(0) == 0xE3 && byte(1) == 0x80 && byte(2) == 0x80) {
      out += ' ';
      i += 3;
      continue;
    }
    out += utf8[i++];
  }
  return out;
}

std::string EscapeControl(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const bool valid = IsValidUtf8(text);
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const uint32_t cp = valid ? NextCodePoint(text, i) : static_cast<unsigned char>(text[i++]);
    if (!valid && cp >= 0x80) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", cp);
      out += hex;
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (IsControl(cp)) {
      char hex[12];
      std::snprintf(hex, sizeof hex, cp < 0x100 ? "\\x%02x" : "\\u%04x", cp);
      out += hex;
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

}  // namespace ppe
