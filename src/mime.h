/* mime.h: to be written */
