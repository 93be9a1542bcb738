/* page.h: to be written */
