'use strict';
// The compiled addon; see src/file_extents.c.
module.exports = require('./build/Release/file_extents.node');
