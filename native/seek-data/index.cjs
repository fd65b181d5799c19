'use strict';
// The compiled addon; see src/seek_data.c.
module.exports = require('./build/Release/seek_data.node');
