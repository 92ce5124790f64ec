# Turns a text file into a C++ raw string literal that a source file #includes as an expression
# (render's preludes). Run as a script: cmake -DIN=<file> -DOUT=<file.inc> -P embed_text.cmake
file(READ "${IN}" content)
string(FIND "${content}" ")anneal_text\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "embed_text: ${IN} contains the raw string delimiter")
endif()
file(WRITE "${OUT}.tmp" "R\"anneal_text(${content})anneal_text\"\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
